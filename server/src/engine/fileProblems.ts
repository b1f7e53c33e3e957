/** What `lint` reports for a file it cannot lint (not rules of the engine; always an error), by id: described in `rules`, SARIF and the audit's SARIF. */
export const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  'json-invalid': 'The file is not JSON (or not UTF-8 text), so it cannot be a manifest.',
  'file-unreadable': 'The file could not be read.',
  'file-too-large': 'The file is larger than the linter reads.',
};
