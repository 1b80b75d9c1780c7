const COLOURS = ['36', '35', '33', '32', '34', '96', '95', '93', '92', '94'];

/**
 * The default log: `[service] line` on stdout, names padded to one width and coloured per
 * service when stdout is a terminal (and NO_COLOR is not set).
 */
export function createConsoleLog(names: readonly string[]): (service: string, line: string) => void {
  const width = Math.max(0, ...names.map((name) => name.length));
  const colour = process.stdout.isTTY === true && !process.env['NO_COLOR'];
  const codes = new Map<string, string>();
  names.forEach((name, index) => codes.set(name, name === 'maildev' ? '90' : (COLOURS[index % COLOURS.length] ?? '0')));
  return (service, line) => {
    const label = `[${service}]`.padEnd(width + 2);
    const code = codes.get(service) ?? '0';
    process.stdout.write(colour ? `\x1b[${code}m${label}\x1b[0m ${line}\n` : `${label} ${line}\n`);
  };
}
