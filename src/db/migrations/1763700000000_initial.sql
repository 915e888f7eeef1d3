-- Up Migration
-- Ballast's ledger. Money and sizes are numeric (exact); times are timestamptz.
-- YES is the Up outcome (clobTokenIds index 0), NO the Down outcome, as in seed 000.

-- One arbitrage position ("trade" in the seed): both legs, their rebalancing and resolution.
CREATE TABLE trades (
    id                text PRIMARY KEY,
    strategy          text NOT NULL DEFAULT 'arbitrage',
    market_slug       text NOT NULL,
    condition_id      text NOT NULL,
    asset             text NOT NULL,
    yes_token_id      text NOT NULL,
    no_token_id       text NOT NULL,
    market_end_at     timestamptz NOT NULL,
    status            text NOT NULL DEFAULT 'OPEN'
                      CHECK (status IN ('OPEN', 'BALANCED', 'IMBALANCED', 'RESOLVED', 'ABANDONED')),
    spread            numeric(12, 6),
    yes_price         numeric(12, 6),
    no_price          numeric(12, 6),
    yes_shares        numeric(20, 6) NOT NULL DEFAULT 0,
    no_shares         numeric(20, 6) NOT NULL DEFAULT 0,
    total_cost        numeric(20, 6) NOT NULL DEFAULT 0,
    fees_paid         numeric(20, 6) NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    resolved_at       timestamptz,
    winning_outcome   text CHECK (winning_outcome IN ('YES', 'NO')),
    payout            numeric(20, 6),
    actual_profit     numeric(20, 6),
    -- Rebalancing columns from the seed's "Database Schema Updates".
    rebalance_status  text NOT NULL DEFAULT 'not_needed'
                      CHECK (rebalance_status IN ('not_needed', 'pending', 'completed', 'failed')),
    rebalance_action  text CHECK (rebalance_action IN ('SELL_YES', 'SELL_NO', 'BUY_YES', 'BUY_NO')),
    rebalance_shares  numeric(20, 6),
    rebalance_price   numeric(12, 6),
    rebalance_profit  numeric(20, 6),
    rebalanced_at     timestamptz,
    final_yes_shares  numeric(20, 6),
    final_no_shares   numeric(20, 6),
    final_hedge_ratio numeric(8, 6)
);
CREATE INDEX trades_market_slug_idx ON trades (market_slug);
CREATE INDEX trades_created_at_idx ON trades (created_at);

CREATE TABLE trade_telemetry (
    trade_id                text PRIMARY KEY REFERENCES trades (id) ON DELETE CASCADE,
    opportunity_detected_at timestamptz,
    opportunity_spread      numeric(12, 6),
    opportunity_yes_price   numeric(12, 6),
    opportunity_no_price    numeric(12, 6),
    order_placed_at         timestamptz,
    order_filled_at         timestamptz,
    execution_latency_ms    double precision,
    fill_latency_ms         double precision,
    initial_yes_shares      numeric(20, 6),
    initial_no_shares       numeric(20, 6),
    initial_hedge_ratio     numeric(8, 6),
    rebalance_started_at    timestamptz,
    rebalance_attempts      integer NOT NULL DEFAULT 0,
    position_balanced_at    timestamptz,
    resolved_at             timestamptz,
    final_yes_shares        numeric(20, 6),
    final_no_shares         numeric(20, 6),
    final_hedge_ratio       numeric(8, 6),
    actual_profit           numeric(20, 6)
);

CREATE TABLE rebalance_trades (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trade_id      text NOT NULL REFERENCES trades (id) ON DELETE CASCADE,
    attempted_at  timestamptz NOT NULL,
    action        text NOT NULL CHECK (action IN ('SELL_YES', 'SELL_NO', 'BUY_YES', 'BUY_NO')),
    shares        numeric(20, 6) NOT NULL,
    price         numeric(12, 6) NOT NULL,
    status        text NOT NULL CHECK (status IN ('SUCCESS', 'FAILED', 'PARTIAL')),
    filled_shares numeric(20, 6) NOT NULL DEFAULT 0,
    profit        numeric(20, 6),
    order_id      text,
    UNIQUE (trade_id, attempted_at, action)
);
CREATE INDEX rebalance_trades_trade_id_idx ON rebalance_trades (trade_id);

-- Every order Ballast sends. The id is the order's hash, so a re-post of the same signed order
-- is the same row.
CREATE TABLE orders (
    id            text PRIMARY KEY,
    market        text NOT NULL,
    token_id      text NOT NULL,
    side          text NOT NULL CHECK (side IN ('BUY', 'SELL')),
    price         numeric(12, 6) NOT NULL,
    size          numeric(20, 6) NOT NULL,
    order_type    text NOT NULL CHECK (order_type IN ('GTC', 'GTD', 'FOK', 'FAK')),
    post_only     boolean NOT NULL DEFAULT false,
    status        text NOT NULL,
    size_matched  numeric(20, 6) NOT NULL DEFAULT 0,
    workflow_id   text,
    position_id   text,
    error         text,
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_market_status_idx ON orders (market, status);
CREATE INDEX orders_workflow_id_idx ON orders (workflow_id);

-- Our side of each venue trade. One venue trade can fill several of our orders (maker legs),
-- hence the pair key.
CREATE TABLE fills (
    trade_id     text NOT NULL,
    order_id     text NOT NULL,
    market       text NOT NULL,
    token_id     text NOT NULL,
    side         text NOT NULL CHECK (side IN ('BUY', 'SELL')),
    role         text NOT NULL CHECK (role IN ('MAKER', 'TAKER')),
    price        numeric(12, 6) NOT NULL,
    size         numeric(20, 6) NOT NULL,
    fee          numeric(20, 6) NOT NULL DEFAULT 0,
    status       text NOT NULL CHECK (status IN ('MATCHED', 'MINED', 'CONFIRMED', 'RETRYING', 'FAILED')),
    matched_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trade_id, order_id)
);
CREATE INDEX fills_order_id_idx ON fills (order_id);

-- Down Migration
DROP TABLE fills;
DROP TABLE orders;
DROP TABLE rebalance_trades;
DROP TABLE trade_telemetry;
DROP TABLE trades;
