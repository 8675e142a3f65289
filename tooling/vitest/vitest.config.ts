import { defineProjectConfig } from "./src/index.js";

export default defineProjectConfig();
