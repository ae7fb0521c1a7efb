import { describe, expect, it } from 'vitest';
import { decodeXmlText, escapeXmlText, xmlElements, xmlText } from '../../src/storage/s3-xml';

describe('the S3 reply extractor', () => {
  const list = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
  <Contents><Key>images/a&amp;b</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>10</Size></Contents>
  <Contents>
    <Key>images/&#x3c;c&#62;</Key><ETag>"def-2"</ETag><Size>20</Size><StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>`;

  it('finds every element of a name in order, and never one whose name merely starts the same', () => {
    const contents = xmlElements(list, 'Contents');
    expect(contents).toHaveLength(2);
    expect(contents.map((c) => xmlText(c, 'Key'))).toEqual(['images/a&b', 'images/<c>']);
    expect(contents.map((c) => xmlText(c, 'ETag'))).toEqual(['"abc"', '"def-2"']);
    expect(xmlText(list, 'Key')).toBe('images/a&b'); // not KeyCount
    expect(xmlText(list, 'KeyCount')).toBe('2');
    expect(xmlText(list, 'IsTruncated')).toBe('true');
    expect(xmlText(list, 'Prefix')).toBe('');
    expect(xmlText(list, 'NextContinuationToken')).toBeUndefined();
  });

  it('reads empty elements, attributes on a start tag, CDATA and error bodies', () => {
    expect(xmlElements('<a><Prefix/><Prefix /></a>', 'Prefix')).toEqual(['', '']);
    expect(
      xmlText('<Error type="x"><Code>NoSuchKey</Code><Message>The key &lt;k&gt; is gone</Message></Error>', 'Message'),
    ).toBe('The key <k> is gone');
    expect(xmlText('<Key><![CDATA[a&amp;<b>]]>&amp;c</Key>', 'Key')).toBe('a&amp;<b>&c');
    expect(
      xmlText(
        '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u-1</UploadId></InitiateMultipartUploadResult>',
        'UploadId',
      ),
    ).toBe('u-1');
  });

  it('decodes only the predefined entities and character references, never anything declared', () => {
    expect(decodeXmlText('&lt;&gt;&amp;&quot;&apos;&#65;&#x42;')).toBe('<>&"\'AB');
    expect(decodeXmlText('&xxe; &#x110000; &amp;lt;')).toBe('&xxe; &#x110000; &lt;');
    const doctype = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r><Key>&xxe;</Key></r>';
    expect(xmlText(doctype, 'Key')).toBe('&xxe;');
  });

  it('fails on a truncated reply instead of guessing', () => {
    expect(() => xmlElements('<Contents><Key>a</Key>', 'Contents')).toThrow(/Unterminated <Contents>/);
    expect(() => xmlText('<Key><![CDATA[a</Key>', 'Key')).toThrow(/Unterminated CDATA/);
  });

  it('escapes what it writes so a key cannot change the request document', () => {
    expect(escapeXmlText(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(xmlText(`<Key>${escapeXmlText('x</Key><Key>y')}</Key>`, 'Key')).toBe('x</Key><Key>y');
  });
});
