import { flagOf } from "./args.js";
import { ARCHITECTURE_KEYS, type Config } from "./config.js";
import { UserError } from "./errors.js";

/** Flags given next to a checkpoint must agree with the config it was trained with. */
export function checkFlagsMatch(
  given: Partial<Config>,
  config: Config,
  path: string,
  keys: readonly (keyof Config)[] = ARCHITECTURE_KEYS,
): void {
  for (const key of keys) {
    const value = given[key];
    if (value === undefined || value === config[key]) continue;
    const shown = key === "residual" ? "" : ` ${String(value)}`;
    throw new UserError(
      `${flagOf(key)}${shown} does not match the checkpoint ${path} ` +
        `(trained with ${key} = ${String(config[key])})`,
    );
  }
}
