import Database from 'better-sqlite3';

/**
 * A consistent online copy through SQLite's backup API: safe while the server keeps writing, because the copy
 * restarts its pages if the source changes mid-copy and always ends at one committed state.
 */
export async function backupDatabase(sourcePath: string, destinationPath: string): Promise<{ totalPages: number }> {
  const source = new Database(sourcePath, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    const result = await source.backup(destinationPath);
    return { totalPages: result.totalPages };
  } finally {
    source.close();
  }
}
