import { LogDirs } from './log-dirs.js';

describe('LogDirs placement', () => {
  it('puts a new partition in the directory holding the fewest, the first listed on a tie', () => {
    const dirs = new LogDirs(['/d/a', '/d/b', '/d/c']);
    const placed = Array.from({ length: 7 }, (_, p) => dirs.place('t', p));
    expect(placed).toEqual(['/d/a', '/d/b', '/d/c', '/d/a', '/d/b', '/d/c', '/d/a']);
    expect(dirs.describe().map((d) => d.partitions)).toEqual([3, 2, 2]);
  });

  it('counts every topic: a directory already fuller gets the new topic last', () => {
    const dirs = new LogDirs(['/d/a', '/d/b']);
    for (let p = 0; p < 3; p++) dirs.place('old', p); // a, b, a
    dirs.release('old', 1); // b is empty now
    expect(dirs.place('new', 0)).toBe('/d/b');
    expect(dirs.place('new', 1)).toBe('/d/b');
    expect(dirs.place('new', 2)).toBe('/d/a');
  });

  it('keeps a placed partition where it is, and forgets it when released', () => {
    const dirs = new LogDirs(['/d/a', '/d/b']);
    expect(dirs.place('t', 0)).toBe('/d/a');
    expect(dirs.place('t', 0)).toBe('/d/a');
    expect(dirs.dirOf('t', 0)).toBe('/d/a');
    expect(dirs.partitionPath('t', 0)).toBe('/d/a/t-0');
    dirs.release('t', 0);
    expect(dirs.dirOf('t', 0)).toBeUndefined();
  });

  it('places nothing in an offline directory, and again once it is back online', () => {
    const dirs = new LogDirs(['/d/a', '/d/b']);
    dirs.place('t', 0); // a
    expect(dirs.markOffline('/d/b', 'EIO: i/o error', 1000)).toBe(true);
    expect(dirs.markOffline('/d/b', 'a later error', 2000)).toBe(false);
    expect(dirs.offline('/d/b')).toEqual({ message: 'EIO: i/o error', sinceMs: 1000 });
    expect(dirs.place('t', 1)).toBe('/d/a');
    expect(dirs.place('t', 2)).toBe('/d/a');
    expect(dirs.describe()).toEqual([
      { path: '/d/a', partitions: 3, offline: null },
      { path: '/d/b', partitions: 0, offline: { message: 'EIO: i/o error', sinceMs: 1000 } },
    ]);
    expect(dirs.markOnline('/d/b')).toBe(true);
    expect(dirs.place('t', 3)).toBe('/d/b');
  });

  it('refuses to place with every directory offline (KAFKA_STORAGE_ERROR)', () => {
    const dirs = new LogDirs(['/d/a']);
    dirs.markOffline('/d/a', 'EROFS', 0);
    expect(() => dirs.place('t', 0)).toThrow(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
    expect(dirs.dirOf('t', 0)).toBeUndefined();
  });

  it('needs at least one directory and no directory twice; the first holds the metadata', () => {
    expect(() => new LogDirs([])).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new LogDirs(['/d/a', '/d/b/../a'])).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('/d/a is listed twice') }));
    expect(new LogDirs(['/d/b', '/d/a']).metadataDir).toBe('/d/b');
  });
});
