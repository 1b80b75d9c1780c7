/** One line of the fault suite's summary table. */
export interface ScenarioRow {
  traffic: string;
  fault: string;
  lost: string;
  duplicated: string;
  /** 5xx answers the clients got (and retried), by status. */
  serverErrors: string;
  /** From the end of the fault until every effect was there and every consumer and outbox settled. */
  recovery: string;
  notes: string[];
}

const COLUMNS: Array<[keyof ScenarioRow, string]> = [
  ['traffic', 'traffic'],
  ['fault', 'fault'],
  ['lost', 'lost'],
  ['duplicated', 'duplicated'],
  ['serverErrors', '5xx'],
  ['recovery', 'recovery time'],
  ['notes', 'notes'],
];

/**
 * Prints the table of every scenario that ran, straight to stdout (not through Jest's console, which
 * would decorate it), so that it stands in the CI log as one readable block.
 */
export function printScenarioTable(rows: ScenarioRow[]): void {
  const cells = rows.map((row) => COLUMNS.map(([key]) => (key === 'notes' ? row.notes.join('; ') : String(row[key]))));
  const header = COLUMNS.map(([, title]) => title);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]?.length ?? 0)));
  const format = (line: string[]) => `| ${line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  process.stdout.write(['', 'Fault suite', format(header), rule, ...cells.map(format), ''].join('\n') + '\n');
}
