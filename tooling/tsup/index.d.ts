import type { Options } from "tsup";

export declare const libDefaults: Options;
export declare function defineLibConfig(overrides?: Options): Options;
