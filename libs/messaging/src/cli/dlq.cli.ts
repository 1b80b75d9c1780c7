// The dead-letter CLI: `npm run dlq -- <command>`. Parsing and printing live here; the work is done
// by DeadLetterAdmin.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { topologyFor, type Topology } from '../jetstream/topology.js';
import { natsCredentialsFrom } from '../auth/nats-credentials.js';
import { DeadLetterAdmin, DeadLetterStreamNotFoundError, type DeadLetter } from '../dead-letter/dead-letter-admin.js';

export const DLQ_USAGE = `Usage: npm run dlq -- <command> [options]

Inspect and repair the dead-letter stream.

Commands:
  list [--consumer <group>] [--limit <n>]    List dead letters, oldest first (default limit 50)
  show <seq>                                 Print one dead letter: its headers and payload
  replay <seq>                               Republish it to its original subject, then delete it
  replay --all [--consumer <group>]          Replay every dead letter (of one consumer group)
  discard <seq>                              Delete one dead letter for good
  purge [--consumer <group>]                 Delete dead letters for good (all, or one group's)

Options:
  --consumer <group>  A consumer group, e.g. email-service__send-welcome-email
  --limit <n>         How many to list
  -h, --help          Show this help

Environment:
  NATS_URL        The NATS server (default nats://127.0.0.1:4222)
  NATS_NAMESPACE  The stream namespace (default: none, the shop's own streams)
  NATS_USER, NATS_PASSWORD_FILE  The admin user, on a server with authorization (or NATS_PASSWORD)

Exit codes: 0 done, 1 failed, 2 wrong usage.`;

export const ExitCode = { Ok: 0, Failed: 1, Usage: 2 } as const;

/** Where the CLI writes; a test passes its own. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const consoleOutput: CliOutput = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

type Command =
  | { readonly name: 'help' }
  | { readonly name: 'list'; readonly consumer?: string; readonly limit: number }
  | { readonly name: 'show'; readonly sequence: number }
  | { readonly name: 'replay'; readonly sequence: number }
  | { readonly name: 'replay-all'; readonly consumer?: string }
  | { readonly name: 'discard'; readonly sequence: number }
  | { readonly name: 'purge'; readonly consumer?: string };

class UsageError extends Error {}

/**
 * Runs one CLI command and resolves with its exit code (see ExitCode); it never throws. Reads
 * NATS_URL and NATS_NAMESPACE from `env`.
 */
export async function runDlqCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: CliOutput = consoleOutput,
): Promise<number> {
  let command: Command;
  let topology: Topology;
  try {
    command = parseCommand(argv);
    topology = topologyFor(env.NATS_NAMESPACE ?? '');
  } catch (error) {
    output.err(`dlq: ${(error as Error).message}\n\n${DLQ_USAGE}`);
    return ExitCode.Usage;
  }
  if (command.name === 'help') {
    output.out(DLQ_USAGE);
    return ExitCode.Ok;
  }

  const url = env.NATS_URL || 'nats://127.0.0.1:4222';
  let connection: NatsConnection;
  try {
    // On a server with authorization, dead letters are the admin's (NATS_USER/NATS_PASSWORD_FILE).
    const credentials = natsCredentialsFrom(env);
    connection = await connect({ servers: url, name: 'eventshop-dlq', timeout: 5_000, user: credentials?.user, pass: credentials?.password });
  } catch (error) {
    output.err(`dlq: cannot reach NATS at ${url} (${(error as Error).message}). Start it, or set NATS_URL.`);
    return ExitCode.Failed;
  }
  try {
    const admin = new DeadLetterAdmin(await jetstreamManager(connection), connection, topology);
    await execute(command, admin, output);
    return ExitCode.Ok;
  } catch (error) {
    output.err(`dlq: ${describeFailure(error, env.NATS_NAMESPACE ?? '')}`);
    return ExitCode.Failed;
  } finally {
    await connection.close();
  }
}

function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        consumer: { type: 'string' },
        limit: { type: 'string' },
        all: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // parseArgs explains unknown options and missing values well; only the class changes.
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { name: 'help' };
  const [name, ...rest] = positionals;
  const allow = (...options: Array<keyof typeof values>) => {
    const extra = Object.keys(values).find((option) => !options.includes(option as keyof typeof values));
    if (extra) throw new UsageError(`${name} does not take --${extra}`);
  };
  const noMoreArguments = (expected: number) => {
    if (rest.length > expected) throw new UsageError(`unexpected argument: ${rest[expected]}`);
  };

  switch (name) {
    case undefined:
      throw new UsageError('no command given');
    case 'list':
      allow('consumer', 'limit');
      noMoreArguments(0);
      return { name, consumer: values.consumer, limit: values.limit === undefined ? 50 : positiveInteger('--limit', values.limit) };
    case 'show':
      allow();
      noMoreArguments(1);
      return { name, sequence: sequenceArgument(rest[0]) };
    case 'replay':
      if (values.all) {
        allow('all', 'consumer');
        if (rest.length > 0) throw new UsageError('replay takes either a sequence or --all, not both');
        return { name: 'replay-all', consumer: values.consumer };
      }
      if (values.consumer !== undefined) throw new UsageError('--consumer goes with replay --all');
      allow();
      noMoreArguments(1);
      return { name, sequence: sequenceArgument(rest[0]) };
    case 'discard':
      allow();
      noMoreArguments(1);
      return { name, sequence: sequenceArgument(rest[0]) };
    case 'purge':
      allow('consumer');
      noMoreArguments(0);
      return { name, consumer: values.consumer };
    default:
      throw new UsageError(`unknown command: ${name}`);
  }
}

function sequenceArgument(value: string | undefined): number {
  if (value === undefined) throw new UsageError('a dead letter sequence number is required (see `list`)');
  return positiveInteger('sequence', value);
}

function positiveInteger(what: string, value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`${what} must be a positive whole number, got "${value}"`);
  }
  return number;
}

async function execute(command: Exclude<Command, { name: 'help' }>, admin: DeadLetterAdmin, output: CliOutput) {
  switch (command.name) {
    case 'list': {
      const { deadLetters, total } = await admin.list(command);
      output.out(formatList(deadLetters, total, command.consumer));
      return;
    }
    case 'show':
      output.out(formatDeadLetter(await admin.get(command.sequence)));
      return;
    case 'replay': {
      const result = await admin.replay(command.sequence);
      output.out(`Replayed dead letter ${result.sequence} to ${result.subject} as ${result.messageId}.`);
      return;
    }
    case 'replay-all': {
      const results = await admin.replayAll(command);
      for (const result of results) {
        output.out(`Replayed dead letter ${result.sequence} to ${result.subject} as ${result.messageId}.`);
      }
      output.out(`Replayed ${plural(results.length, 'dead letter')}${forConsumer(command.consumer)}.`);
      return;
    }
    case 'discard':
      await admin.discard(command.sequence);
      output.out(`Discarded dead letter ${command.sequence}.`);
      return;
    case 'purge': {
      const purged = await admin.purge(command);
      output.out(`Purged ${plural(purged, 'dead letter')}${forConsumer(command.consumer)}.`);
      return;
    }
  }
}

function formatList(deadLetters: readonly DeadLetter[], total: number, consumer: string | undefined): string {
  if (total === 0) return `No dead letters${forConsumer(consumer)}.`;
  const header = ['SEQ', 'CONSUMER', 'ORIGINAL SUBJECT', 'DELIVERIES', 'DEAD-LETTERED AT', 'REASON'];
  const rows = [
    header,
    ...deadLetters.map((d) => [
      String(d.sequence),
      d.consumer,
      d.originalSubject,
      String(d.deliveryCount),
      d.deadLetteredAt.toISOString(),
      truncate(d.reason, 100),
    ]),
  ];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
  const shown = deadLetters.length < total ? `Showing ${deadLetters.length} of ${total} (raise --limit for more).` : `${plural(total, 'dead letter')}.`;
  return [...lines, '', shown].join('\n');
}

function formatDeadLetter(deadLetter: DeadLetter): string {
  const reference = deadLetter.payloadByReference;
  const payload = reference
    ? {
        kind: 'not stored with the dead letter',
        text: `${reference.bytes} bytes, too large to park with its reason: message ${reference.sequence} of stream ${reference.stream} (a replay reads it from there)`,
      }
    : describePayload(deadLetter.payload);
  return [
    `Dead letter ${deadLetter.sequence}`,
    `  consumer:          ${deadLetter.consumer}`,
    `  handler:           ${deadLetter.handler}`,
    `  original subject:  ${deadLetter.originalSubject}`,
    `  deliveries:        ${deadLetter.deliveryCount}`,
    `  dead-lettered at:  ${deadLetter.deadLetteredAt.toISOString()}`,
    `  reason:            ${deadLetter.reason}`,
    '',
    'Headers:',
    ...Object.entries(deadLetter.headers).map(([name, value]) => `  ${name}: ${value}`),
    '',
    `Payload (${payload.kind}):`,
    payload.text,
  ].join('\n');
}

/** Pretty JSON when it is JSON, else the text, else base64. */
function describePayload(payload: Uint8Array): { kind: string; text: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return { kind: `binary, ${payload.length} bytes, base64`, text: Buffer.from(payload).toString('base64') };
  }
  try {
    return { kind: 'JSON', text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    return { kind: 'text', text };
  }
}

function describeFailure(error: unknown, namespace: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DeadLetterStreamNotFoundError) {
    return `${message} (NATS_NAMESPACE is ${namespace ? `"${namespace}"` : 'not set'}; is that the right one?)`;
  }
  return message;
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
const forConsumer = (consumer: string | undefined) => (consumer ? ` for ${consumer}` : '');

/** True when this file is the script node was started with, not a module a test imported. */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await runDlqCli(process.argv.slice(2));
