import { describeReadmeExamples } from "@tapegrad/vitest-preset/readme";

await describeReadmeExamples(new URL("..", import.meta.url), "@tapegrad/data");
