-- Up Migration
-- What the initial pair of fills cost (pUSD, fees included), before any rebalancing: with
-- initial_yes_shares / initial_no_shares it gives the result the ORIGINAL position would have had
-- at resolution, hence the "Avoided Losses" success metric of seed 000.
ALTER TABLE trade_telemetry ADD COLUMN initial_cost numeric(20, 6);

-- Down Migration
ALTER TABLE trade_telemetry DROP COLUMN initial_cost;
