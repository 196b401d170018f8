/**
 * Splits a POSIX shell command line into words.
 *
 * libvirt prints `domxml-to-native qemu-argv` as one shell line: environment
 * assignments, then the emulator, then arguments, with JSON arguments wrapped
 * in single quotes (an embedded ' becomes '\''). We only need the subset of
 * shell syntax that libvirt emits: quotes, backslashes and whitespace.
 */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote in shell line');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) i++;
        word += line[i]!;
        i++;
      }
      if (i >= line.length) throw new Error('unterminated double quote in shell line');
      inWord = true;
      i++;
    } else if (c === '\\') {
      const next = line[i + 1];
      // A backslash-newline is a line continuation, not part of a word.
      if (next !== undefined && next !== '\n') {
        word += next;
        inWord = true;
      }
      i += 2;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Drops the leading NAME=value environment assignments of a command line. */
export function stripEnvAssignments(words: string[]): string[] {
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++;
  return words.slice(i);
}
