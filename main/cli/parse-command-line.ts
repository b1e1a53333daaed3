// Reads `graft …` arguments with Node's util.parseArgs, in two passes: a lenient one finds the
// command, a strict one with that command's own options checks the rest. Parse failures become
// one plain sentence (UsageError) instead of parseArgs's own wording.
import { parseArgs } from 'node:util';
import { ALL_OPTIONS, COMMANDS, type CommandSpec, GLOBAL_OPTIONS } from './command-table';

/** Bad usage: printed as one line with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show; null for the global usage. */
    readonly command: string | null,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionValues = Record<string, string | boolean | undefined>;

export type CommandLine =
  | { kind: 'help'; command: string | null }
  | { kind: 'run'; command: string; spec: CommandSpec; values: OptionValues; positionals: string[] };

/** The option name parseArgs quotes in its message (`Unknown option '--foo'. …`). */
function quotedOption(message: string): string {
  return /'(-[^' ]+)/.exec(message)?.[1] ?? 'an option';
}

function plainParseError(err: unknown, command: string): UsageError {
  const { code, message } = err as { code?: string; message: string };
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${quotedOption(message)}`, command);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(
        /does not take an argument/.test(message)
          ? `option ${quotedOption(message)} takes no value`
          : `option ${quotedOption(message)} needs a value`,
        command,
      );
    default:
      return new UsageError(message.split('\n')[0], command);
  }
}

/**
 * `--option -3` as `--option=-3` for options that take a value: parseArgs reads a value starting
 * with a dash as a missing one, so a negative number would be refused as "needs a value" instead
 * of by the option's own range check.
 */
function joinNegativeValues(argv: string[], options: typeof ALL_OPTIONS): string[] {
  return argv.flatMap((arg, i) => {
    if (/^-\d/.test(arg) && options[argv[i - 1]?.replace(/^--/, '') ?? '']?.type === 'string') return [];
    const next = argv[i + 1];
    const takesValue = arg.startsWith('--') && !arg.includes('=') && options[arg.slice(2)]?.type === 'string';
    return takesValue && next !== undefined && /^-\d/.test(next) ? [`${arg}=${next}`] : [arg];
  });
}

/**
 * The command and its checked options.
 * @throws UsageError for an unknown command or option, or an option without its value
 */
export function parseCommandLine(argv: string[]): CommandLine {
  const loose = parseArgs({ args: argv, options: ALL_OPTIONS, strict: false, allowPositionals: true });
  const command = loose.positionals[0];
  if (command === undefined) {
    if (loose.values.help === true) return { kind: 'help', command: null };
    throw new UsageError('no command given', null);
  }
  const spec = COMMANDS.get(command);
  if (!spec) throw new UsageError(`unknown command “${command}”`, null);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    const options = { ...GLOBAL_OPTIONS, ...spec.options };
    parsed = parseArgs({
      args: joinNegativeValues(argv, options),
      options,
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw plainParseError(err, command);
  }
  if (parsed.values.help === true) return { kind: 'help', command };
  return {
    kind: 'run',
    command,
    spec,
    values: parsed.values as OptionValues,
    positionals: parsed.positionals.slice(1),
  };
}

/**
 * A whole-number option, or undefined when it is absent.
 * @throws UsageError when present but not a whole number in [min, max]
 */
export function wholeNumberOption(
  line: { command: string; values: OptionValues },
  name: string,
  range: { min: number; max: number },
): number | undefined {
  const raw = line.values[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= range.min && n <= range.max)) {
    throw new UsageError(`--${name} takes a whole number from ${range.min} to ${range.max}`, line.command);
  }
  return n;
}

/** A text option that must be given. @throws UsageError when it is missing or empty */
export function requiredOption(line: { command: string; values: OptionValues }, name: string): string {
  const value = line.values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`, line.command);
  return value;
}

/** A text option that may be absent. */
export function textOption(line: { values: OptionValues }, name: string): string | undefined {
  const value = line.values[name];
  return typeof value === 'string' ? value : undefined;
}
