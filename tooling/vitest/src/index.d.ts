import type { ViteUserConfig } from "vitest/config";

export declare const setupFile: string;
export declare const preset: ViteUserConfig;
export declare function defineProjectConfig(overrides?: ViteUserConfig): ViteUserConfig;
