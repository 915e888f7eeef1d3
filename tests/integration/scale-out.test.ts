/**
 * Scale-out, proven on the production entry points: two workflow workers and two streaming workers
 * (`ballast worker`, `ballast streamer`) and `ballast scheduler`, each a process of its own, against an
 * external Temporal server (the CLI dev server standing in) and PostgreSQL (the real one of DATABASE_URL in
 * CI), on four assets' markets. When our first trade's fills are on their way, the streaming worker hosting
 * that market's feed is killed with SIGKILL and stays dead: every feed it hosted must run on the other
 * streaming worker within the heartbeat timeout (and retry interval), and the chaos harness's invariants
 * must hold — no order twice or undecided, the fills table equal to the venue's trades, every workflow
 * completed, no order left open, the recorded P&L equal to the venue's, the session's book equal to the
 * venue's. The trial is bench/chaos's (`npm run chaos -- --scale-out`).
 */
import { ChaosHarness, violations } from "../../bench/chaos/harness";
import { scaleOutSchedule } from "../../bench/chaos/matrix";
import { FEED_RESUME_WITHIN_MS, type TrialResult } from "../../bench/chaos/trial";

describe("scale-out: two workflow workers, two streaming workers and the scheduler as processes", () => {
  let harness: ChaosHarness;
  const results: TrialResult[] = [];

  beforeAll(async () => {
    harness = await ChaosHarness.start({ log: (line) => process.stdout.write(`${line}\n`) });
  });

  afterAll(async () => {
    await harness?.close(results);
  });

  it("spreads the feeds over both streamers; one killed for good, its feeds resume on the other within the heartbeat timeout, nothing lost or doubled", async () => {
    // Temporal hands each feed to whichever streaming worker polls first: with eight feeds (four assets,
    // this window and the next) both get some almost always. A trial in which one worker got every feed
    // proves nothing about moving feeds between them, so that case alone is run again, once.
    let r: TrialResult | undefined;
    for (const spec of scaleOutSchedule(2, 41)) {
      r = await harness.run(spec);
      results.push(r);
      const hosts = Object.keys(r.scaleOut?.hostsBefore ?? {}).filter((h) => h.startsWith("streamer"));
      if (r.error || hosts.length >= 2) break;
      process.stdout.write(`trial ${spec.index}: every feed on one streamer (${hosts}); once more\n`);
    }
    r = r!;
    expect({ error: r.error, landed: r.landed, violations: violations(r), moment: r.moment }).toEqual({
      error: undefined,
      landed: true,
      violations: 0,
      moment: r.moment,
    });
    expect(r.lateFeeds).toBe(0);
    expect(r.story.entryOrders).toBeGreaterThanOrEqual(2);

    const report = r.scaleOut!;
    // The feeds ran on both streaming workers before the kill.
    expect(Object.keys(report.hostsBefore).sort()).toEqual(["streamer", "streamer-2"]);
    // Every feed of the killed worker (our market's among them) ran again, on the other one, in time.
    const hosted = report.hostsBefore[report.killed!]!;
    expect(hosted).toContain(r.slug);
    expect(report.notResumed).toEqual([]);
    expect(report.moved.map((m) => m.slug).sort()).toEqual([...hosted].sort());
    for (const m of report.moved) {
      expect(m.on).toBe(report.survivor);
      expect(m.afterMs).toBeLessThanOrEqual(FEED_RESUME_WITHIN_MS);
    }
    // The other worker's feeds stayed where they were: none of them is in the moved list.
    const kept = report.hostsBefore[report.survivor!]!;
    expect(kept.length).toBeGreaterThan(0);
    expect(report.moved.filter((m) => kept.includes(m.slug))).toEqual([]);
  }, 700_000);
});
