import { HELP, parse } from "./args.js";
import { oneLine } from "./checkpoint.js";
import { compareCommand } from "./commands/compare.js";
import { evaluateCommand } from "./commands/inference.js";
import { predictCommand } from "./commands/predict.js";
import { trainCommand } from "./commands/train.js";
import { UserError } from "./errors.js";

async function main(argv: string[]): Promise<void> {
  const { command, positionals, values } = parse(argv);
  if (values.help || command === "help") {
    process.stdout.write(HELP);
    return;
  }
  switch (command) {
    case "train":
      return trainCommand(positionals, values);
    case "evaluate":
      return evaluateCommand(positionals, values);
    case "predict":
      return predictCommand(positionals, values);
    case "compare":
      return compareCommand(positionals, values);
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
