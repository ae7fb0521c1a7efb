import { describe, expect, it } from 'vitest';
import { inlineDisposition } from '../../../src/http/content-disposition';
import { displayName } from '../../../src/services/images';

describe('file names', () => {
  it('keeps only the last path part, without control characters', () => {
    expect(displayName('../../etc/passwd.png', 'png')).toBe('passwd.png');
    expect(displayName('C:\\fakepath\\x.png', 'png')).toBe('x.png');
    expect(displayName('a\u0000b\u001f.png', 'png')).toBe('ab.png');
    expect(displayName('', 'jpg')).toBe('image.jpg');
    expect(displayName(undefined, 'gif')).toBe('image.gif');
  });

  it('puts the exact name in filename* and an ASCII stand-in in filename', () => {
    expect(inlineDisposition('日本 "photo".png')).toBe(
      `inline; filename="__ _photo_.png"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%20%22photo%22.png`,
    );
  });
});
