import { defineLibConfig } from "@tapegrad/tsup-config";
import { defineConfig } from "tsup";

export default defineConfig(defineLibConfig());
