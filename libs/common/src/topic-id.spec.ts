import { isTopicId, newTopicId, parseTopicId, topicIdBytes, topicIdFromUuidText, ZERO_TOPIC_ID } from './topic-id.js';

describe('topic ids', () => {
  it('are 22 characters of base64url over 16 version-4 bytes, never zero, one or starting with "-"', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = newTopicId();
      expect(isTopicId(id)).toBe(true);
      expect(id.startsWith('-')).toBe(false);
      const bytes = topicIdBytes(id);
      expect(bytes).toHaveLength(16);
      expect(bytes[6] >> 4).toBe(4);
      expect(bytes[8] >> 6).toBe(2);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
  });

  it('draws again when the random bytes would give an id starting with "-"', () => {
    // 0xfb in the top six bits is base64url index 62, '-'.
    const draws = [Buffer.alloc(16, 0xfb), Buffer.from('00112233445566778899aabbccddeeff', 'hex')];
    const id = newTopicId(() => draws.shift()!);
    expect(draws).toHaveLength(0);
    expect(id).toBe(Buffer.from('00112233445546778899aabbccddeeff', 'hex').toString('base64url'));
  });

  it('keeps the 16 bytes of an id stored as a canonical uuid', () => {
    const id = topicIdFromUuidText('1f142f23-8c0a-4e7b-9d1e-0123456789ab');
    expect(topicIdBytes(id).toString('hex')).toBe('1f142f238c0a4e7b9d1e0123456789ab');
    expect(id).toBe('HxQvI4wKTnudHgEjRWeJqw');
    expect(() => topicIdFromUuidText('not-a-uuid')).toThrow(/canonical uuid/);
  });

  it('refuses text that is not exactly 16 bytes of unpadded base64url', () => {
    expect(isTopicId(ZERO_TOPIC_ID)).toBe(true);
    for (const bad of ['', 'AAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAB', 'AAAAAAAAAAAAAAAAAAAA+A', 'AAAAAAAAAAAAAAAAAAAAA=']) {
      expect(isTopicId(bad)).toBe(false);
      expect(() => parseTopicId(bad)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    }
  });
});
