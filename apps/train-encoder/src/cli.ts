import { HELP, parse } from "./args.js";
import { oneLine, UserError } from "./errors.js";

async function main(argv: string[]): Promise<void> {
  const { command, positionals, values } = parse(argv);
  if (values.help || command === "help") {
    process.stdout.write(HELP);
    return;
  }
  // Commands load on demand: a mistyped flag should not wait for vega and the datasets.
  switch (command) {
    case "train":
      return (await import("./commands/train.js")).trainCommand(positionals, values);
    case "evaluate":
      return (await import("./commands/evaluate.js")).evaluateCommand(positionals, values);
    case "predict":
      return (await import("./commands/predict.js")).predictCommand(positionals, values);
    case "compare":
      return (await import("./commands/compare.js")).compareCommand(positionals, values);
    default:
      throw new UserError(
        `unknown command '${command}'; expected train, evaluate, predict or compare (see --help)`,
      );
  }
}

// The error boundary: one line on stderr and a non-zero exit, never a stack trace
// (set TAPEGRAD_DEBUG=1 to see one).
main(process.argv.slice(2)).catch((e: unknown) => {
  if (process.env.TAPEGRAD_DEBUG) console.error(e);
  const code = e instanceof UserError ? e.exitCode : 1;
  process.stderr.write(`error: ${oneLine(e)}\n`);
  process.exitCode = code;
});
