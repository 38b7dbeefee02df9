import { describe, expect, it } from '@jest/globals';
import { csvField } from './csv-field';

describe('csvField', () => {
  it('quotes as RFC 4180 §2 rules 6 and 7 require', () => {
    expect(csvField('scan-01.png')).toBe('scan-01.png');
    expect(csvField('a,b.png')).toBe('"a,b.png"');
    expect(csvField('say "hi".png')).toBe('"say ""hi"".png"');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });
});
