import {
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from "@temporalio/workflow";

const acts = proxyActivities<{ mark(t: number): Promise<void> }>({ startToCloseTimeout: "10s" });
export const go = defineUpdate<void, [number]>("go");
export async function armed(): Promise<void> {
  const pending: number[] = [];
  setHandler(go, (t) => {
    pending.push(t);
  });
  for (;;) {
    await condition(() => pending.length > 0);
    const batch = pending.splice(0);
    await Promise.all(batch.map((t) => acts.mark(t)));
  }
}

const local = proxyLocalActivities<{ mark(t: number): Promise<void> }>({ startToCloseTimeout: "10s" });
/** Started eagerly with its sample number: a local activity at once (the eager-start design's floor). */
export async function eagerStart(t: number): Promise<void> {
  await local.mark(t);
}
