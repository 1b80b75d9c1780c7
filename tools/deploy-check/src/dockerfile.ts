/**
 * Checks of the root Dockerfile and .dockerignore that compose and k8s rely on. There is no Docker
 * engine on the dev machines, so the image is never built here: these are text checks of the
 * properties the rest of the setup assumes.
 */

import { SERVICE_NODE_FLAGS, SERVICE_PROCESS_ENV, TRACING_PRELOAD } from '@eventshop/dev-runner';

export const BASE_IMAGE = 'node:24-bookworm-slim';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions with `\` continuations joined and comment lines dropped (as Docker does). */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const match = /^(\S+)\s*(.*)$/.exec(pending);
    if (match) instructions.push({ keyword: (match[1] as string).toUpperCase(), args: match[2] as string });
    pending = '';
  }
  return instructions;
}

export function checkDockerfile(text: string): string[] {
  const problems: string[] = [];
  const instructions = parseDockerfile(text);
  const globalArgs = new Map<string, string>();
  const stages: string[] = [];
  let finalStage: Instruction[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = ins.args.split('=');
      globalArgs.set((name as string).trim(), value.trim());
    }
    if (ins.keyword === 'FROM') {
      const [image = '', as, stageName] = ins.args.split(/\s+/);
      const resolved = image.replace(/^\$\{?(\w+)\}?$/, (_, arg: string) => globalArgs.get(arg) ?? `$${arg}`);
      if (resolved !== BASE_IMAGE && !stages.includes(resolved)) problems.push(`FROM ${image} must be ${BASE_IMAGE} (or an earlier stage)`);
      if (as?.toUpperCase() === 'AS' && stageName) stages.push(stageName);
      else stages.push(`#${stages.length}`);
      finalStage = [];
    }
    finalStage.push(ins);
  }
  if (stages.length < 2) problems.push('the Dockerfile must be multi-stage (build tools stay out of the runtime image)');

  const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword);
  if (!all('ARG').some((i) => /^SERVICE(=|$)/.test(i.args))) problems.push('ARG SERVICE is missing');
  const runs = all('RUN').map((i) => i.args).join('\n');
  for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev']) if (!runs.includes(step)) problems.push(`no RUN does "${step}"`);
  for (const expose of all('EXPOSE')) {
    if (/\b\d+\b/.test(expose.args)) problems.push(`EXPOSE ${expose.args} hard-codes a port; each service's port comes from its PORT setting`);
  }

  if (!finalStage.some((i) => i.keyword === 'ARG' && /^SERVICE(=|$)/.test(i.args))) problems.push('the runtime stage must declare ARG SERVICE');
  const user = finalStage.filter((i) => i.keyword === 'USER').at(-1);
  if (!user || /^(root|0)(:|$)/.test(user.args)) problems.push('the runtime stage must switch to a non-root USER');
  const cmd = finalStage.filter((i) => i.keyword === 'CMD').at(-1);
  if (!cmd || !/\bnode\b/.test(cmd.args) || !cmd.args.includes('apps/${SERVICE}/dist/main.js')) {
    problems.push('the runtime stage must CMD node apps/${SERVICE}/dist/main.js');
  }
  // The tracing preload must run before the app loads, or http and pg go uninstrumented.
  if (cmd && !cmd.args.includes(`--import ./${TRACING_PRELOAD}`)) {
    problems.push(`the runtime stage's CMD must preload tracing: node --import ./${TRACING_PRELOAD} …`);
  }
  // A container runs a service as the dev runner (and so every test and benchmark) does.
  for (const flag of SERVICE_NODE_FLAGS) {
    if (cmd && !cmd.args.split(/\s+/).includes(flag)) problems.push(`the runtime stage's CMD must give node the services' flag ${flag}`);
  }
  const runtimeEnv = new Set(finalStage.filter((i) => i.keyword === 'ENV').flatMap((i) => i.args.split(/\s+/)));
  for (const [name, value] of Object.entries(SERVICE_PROCESS_ENV)) {
    if (!runtimeEnv.has(`${name}=${value}`)) problems.push(`the runtime stage must set the services' ENV ${name}=${value}`);
  }
  return problems;
}

/** Paths that must never reach the build context: local installs, build output, keys, git. */
export const MUST_IGNORE = ['**/node_modules', '**/dist', '.dev-keys', '.git', '**/.env', '**/*.pem'];

export function checkDockerignore(text: string): string[] {
  const lines = new Set(text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
  return MUST_IGNORE.filter((pattern) => !lines.has(pattern)).map((pattern) => `.dockerignore must list ${pattern}`);
}
