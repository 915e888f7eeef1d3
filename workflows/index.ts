// Every workflow the workers host. Deterministic code only: no I/O, no clocks but Temporal's.
export { systemCheck } from "./system-check";
