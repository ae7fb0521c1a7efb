import { describe, expect, it } from 'vitest';
import { jpegOrientation } from '../../../src/formats/orientation';
import { acceptedFormats, variantName } from '../../../src/routes/images/variant-response';
import { imageKeyOfVariant, variantKey, variantPrefix } from '../../../src/services/variants/identity';
import { planGeometry } from '../../../src/services/variants/plan';
import { normalise } from '../../../src/services/variants/request';
import { jpeg, jpegWithExif, png } from '../../support/images';

describe('EXIF orientation of a JPEG head', () => {
  it('reads each orientation, and 1 where there is none', async () => {
    for (let o = 1; o <= 8; o++) expect(jpegOrientation(jpegWithExif(4, 4, { orientation: o, gps: true }))).toBe(o);
    expect(jpegOrientation(jpegWithExif(4, 4, { gps: true }))).toBe(1);
    expect(jpegOrientation(jpeg(4, 4, { exif: 100 }))).toBe(1);
    expect(jpegOrientation(jpeg(4, 4))).toBe(1);
    expect(jpegOrientation(await png(4, 4))).toBe(1);
  });

  it('never throws on truncated or hostile input, and ignores values out of range', () => {
    const full = jpegWithExif(4, 4, { orientation: 6 });
    for (let n = 0; n <= full.length; n++) {
      const got = jpegOrientation(full.subarray(0, n));
      expect([1, 6]).toContain(got);
    }
    const bad = jpegWithExif(4, 4, { orientation: 9 });
    expect(jpegOrientation(bad)).toBe(1);
    // An IFD offset pointing past the segment, and a huge entry count.
    const twisted = full.slice();
    twisted[2 + 2 + 2 + 6 + 4] = 0xff; // IFD0 offset low byte
    expect(jpegOrientation(twisted)).toBe(1);
    const many = full.slice();
    many[2 + 2 + 2 + 6 + 8] = 0xff;
    many[2 + 2 + 2 + 6 + 9] = 0xff;
    expect([1, 6]).toContain(jpegOrientation(many));
  });
});

describe('variant planning', () => {
  const source = { contentType: 'image/png', width: 64, height: 48 };
  const none = { avif: false, webp: false };
  it('rounds to whole pixels, never to zero', () => {
    expect(planGeometry(normalise({ width: 1 }, source, none), 1000, 10)).toEqual({
      width: 1,
      height: 1,
      mode: 'scale',
    });
    expect(planGeometry(normalise({ width: 33 }, source, none), 64, 48)).toEqual({
      width: 33,
      height: 25,
      mode: 'scale',
    });
  });

  it('files variants under their image key, and maps them back', () => {
    const key = variantKey('images/abc', 'f'.repeat(64), 'jpeg');
    expect(key).toBe(`variants/images/abc/${'f'.repeat(64)}.jpg`);
    expect(key.startsWith(variantPrefix('images/abc'))).toBe(true);
    expect(imageKeyOfVariant(key)).toBe('images/abc');
    expect(imageKeyOfVariant('images/abc')).toBeUndefined();
    expect(imageKeyOfVariant('variants/x')).toBeUndefined();
  });
});

describe('Accept and names', () => {
  it('takes AVIF or WebP only when named with q > 0', () => {
    expect(acceptedFormats(undefined)).toEqual({ avif: false, webp: false });
    expect(acceptedFormats('image/AVIF;q=0.5, image/webp;q=0')).toEqual({ avif: true, webp: false });
    expect(acceptedFormats('image/*, */*')).toEqual({ avif: false, webp: false });
    expect(acceptedFormats(',,;;garbage')).toEqual({ avif: false, webp: false });
  });

  it('names a variant after its image with the new extension', () => {
    expect(variantName('photo.png', 'webp')).toBe('photo.webp');
    expect(variantName('archive.tar.png', 'jpg')).toBe('archive.tar.jpg');
    expect(variantName('noext', 'png')).toBe('noext.png');
    expect(variantName('.hidden', 'png')).toBe('.hidden.png');
  });
});
