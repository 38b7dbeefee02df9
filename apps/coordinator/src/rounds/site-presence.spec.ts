import { describe, expect, it } from '@jest/globals';
import { recordingSession } from '../../../../tests/medium/coordinator-in-memory';
import { SitePresence } from './site-presence';

describe('SitePresence', () => {
  it('finds a connected session by its site', () => {
    const presence = new SitePresence();
    const a = recordingSession('a');
    presence.connect(a);
    expect(presence.get('a')).toBe(a);
    expect(presence.get('b')).toBeUndefined();
  });

  it('a reconnecting site replaces its session; the old socket leaving removes nothing', () => {
    const presence = new SitePresence();
    const before = recordingSession('a');
    const after = recordingSession('a');
    presence.connect(before);
    presence.connect(after);
    expect(presence.get('a')).toBe(after);
    expect(presence.disconnect(before)).toBe(false);
    expect(presence.get('a')).toBe(after);
    expect(presence.disconnect(after)).toBe(true);
    expect(presence.get('a')).toBeUndefined();
    expect(presence.disconnect(after)).toBe(false); // already gone
  });

  it('counts as present only the named sites that are connected and said hello, sorted', () => {
    const presence = new SitePresence();
    for (const id of ['c', 'a', 'x']) presence.connect(recordingSession(id));
    presence.connect(recordingSession('b', null)); // connected, no hello yet
    expect(presence.present(['a', 'b', 'c', 'd'])).toEqual(['a', 'c']); // 'x' is not asked for, 'd' is away
    expect(presence.present([])).toEqual([]);
  });
});
