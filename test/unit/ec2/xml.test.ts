import { describe, expect, it } from 'vitest';
import { el, errorBody, escapeXml, list, successBody, tagSet } from '../../../src/sim/ec2/xml.js';

describe('XML building', () => {
  it('escapes markup and replaces characters XML cannot carry', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(escapeXml('ok\u0001\u0000')).toBe('ok\uFFFD\uFFFD');
    expect(escapeXml('tab\tand\nnewline')).toBe('tab\tand\nnewline');
  });

  it('renders elements, omits absent ones, renders empty lists', () => {
    expect(el('a', 'x&y')).toBe('<a>x&amp;y</a>');
    expect(el('n', 0)).toBe('<n>0</n>');
    expect(el('b', false)).toBe('<b>false</b>');
    expect(el('u', undefined)).toBe('');
    expect(list('groupSet', [], () => '')).toBe('<groupSet></groupSet>');
    expect(tagSet(new Map([['k', '<v>']]))).toBe('<tagSet><item><key>k</key><value>&lt;v&gt;</value></item></tagSet>');
  });

  it('success and error envelopes', () => {
    expect(successBody('DeleteTags', 'req-1', '<return>true</return>')).toContain(
      '<DeleteTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId><return>true</return></DeleteTagsResponse>',
    );
    expect(errorBody('X.Y', 'bad <thing>', 'r')).toContain(
      '<Response><Errors><Error><Code>X.Y</Code><Message>bad &lt;thing&gt;</Message></Error></Errors><RequestID>r</RequestID></Response>',
    );
  });
});
