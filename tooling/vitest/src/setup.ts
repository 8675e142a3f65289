import { expect } from "vitest";
import { toBeAllClose } from "./allclose";

expect.extend({ toBeAllClose });
