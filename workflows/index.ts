// Every workflow the workers host. Deterministic code only: no I/O, no clocks but Temporal's.
import { control } from "./control";
import { marketFeed } from "./feed";
import { position } from "./position";
import { scheduler } from "./scheduler";
import { marketSession } from "./session";
import { systemCheck } from "./system-check";
import { annotateVersioning } from "./versioning";

export { control, marketFeed, marketSession, position, scheduler, systemCheck };

// Each type's versioning behaviour (PINNED or AUTO_UPGRADE, and why): ./versioning.ts.
annotateVersioning({ control, marketFeed, marketSession, position, scheduler, systemCheck });
