// Every workflow the workers host. Deterministic code only: no I/O, no clocks but Temporal's.
export { control } from "./control";
export { marketFeed } from "./feed";
export { position } from "./position";
export { scheduler } from "./scheduler";
export { marketSession } from "./session";
export { systemCheck } from "./system-check";
