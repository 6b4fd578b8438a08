import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { DownloadError } from '../errors.js';

/**
 * Streams the named members of a zip (read with yauzl) to `each`, one at a time. A member the zip lacks, or a zip that
 * cannot be read, is a {@link DownloadError} of kind `archive` naming the zip and the member.
 */
export async function forEachMember(
  zipPath: string,
  members: readonly string[],
  each: (member: string, stream: Readable) => Promise<void>,
): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true, autoClose: false }, (err, z) => (err || !z ? reject(archiveError(zipPath, members.join(', '), err)) : resolve(z))),
  );
  const wanted = new Set(members);
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (e) => reject(archiveError(zipPath, [...wanted].join(', '), e)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!wanted.has(entry.fileName)) {
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) {
            reject(archiveError(zipPath, entry.fileName, err));
            return;
          }
          each(entry.fileName, stream).then(
            () => {
              wanted.delete(entry.fileName);
              zip.readEntry();
            },
            reject,
          );
        });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  if (wanted.size) throw new DownloadError('archive', zipPath, [...wanted].join(', '), 'the zip has no such member');
}

function archiveError(zipPath: string, member: string, cause: unknown): DownloadError {
  return new DownloadError('archive', zipPath, member, `cannot read the zip (${(cause as Error | null)?.message ?? 'unknown error'})`, { cause });
}
