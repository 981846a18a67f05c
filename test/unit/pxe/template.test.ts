import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTemplate, shQuote, TemplateError, templateVariables } from '../../../src/drivers/pxe/template.js';

const render = (tpl: string, vars: Record<string, string | number | string[]>, escape: 'ipxe' | 'kickstart' | 'none' = 'none') =>
  renderTemplate(tpl, vars, { escape, name: 't' });

describe('renderTemplate', () => {
  it('substitutes variables, with or without spaces in the tag', () => {
    assert.equal(render('a {{x}} b {{ y }} c {{x}}', { x: 'X', y: 2 }), 'a X b 2 c X');
    assert.equal(render('no tags ${net0/mac} here', {}), 'no tags ${net0/mac} here');
  });

  it('joins lists with lines / words / commas, quotes with sh / shwords', () => {
    const v = { l: ['a', 'b c'], s: "it's" };
    assert.equal(render('{{l|lines}}', v), 'a\nb c');
    assert.equal(render('{{l|words}}', v), 'a b c');
    assert.equal(render('{{l|commas}}', v), 'a,b c');
    assert.equal(render('{{s|sh}}', v, 'kickstart'), `'it'\\''s'`);
    assert.equal(render('{{l|shwords}}', v, 'kickstart'), `'a' 'b c'`);
    assert.equal(shQuote(''), `''`);
  });

  const errors: Array<[string, string, Record<string, string | string[]>, 'ipxe' | 'kickstart' | 'none', RegExp]> = [
    ['unknown variable', '{{nope}}', {}, 'none', /unknown variable "nope"/],
    ['inherited names are not variables', '{{constructor}}', {}, 'none', /unknown variable/],
    ['unknown filter', '{{x|upper}}', { x: 'a' }, 'none', /unknown filter/],
    ['unclosed tag', 'a {{x', { x: 'a' }, 'none', /unclosed tag at line 1/],
    ['list without a join filter', '{{l}}', { l: ['a'] }, 'none', /is a list/],
    ['join filter on a string', '{{x|lines}}', { x: 'a' }, 'none', /needs a list/],
    ['newline in any mode', '{{x}}', { x: 'a\nb' }, 'none', /control characters/],
    ['iPXE expansion', '{{x}}', { x: '${root}' }, 'ipxe', /not safe in an iPXE script/],
    ['iPXE command separator', '{{x}}', { x: 'a && shell' }, 'ipxe', /not safe in an iPXE script/],
    ['iPXE comment / quote', '{{x}}', { x: 'a"#b' }, 'ipxe', /not safe/],
    ['kickstart shell metacharacters', '{{x}}', { x: 'a;reboot' }, 'kickstart', /not safe in a kickstart/],
    ['kickstart backquote', '{{x}}', { x: '`id`' }, 'kickstart', /not safe in a kickstart/],
    ['sh in iPXE', '{{x|sh}}', { x: 'a' }, 'ipxe', /meaningless/],
  ];
  for (const [name, tpl, vars, mode, re] of errors) {
    it(`refuses: ${name}`, () => {
      assert.throws(() => render(tpl, vars, mode), (e: unknown) => e instanceof TemplateError && re.test(e.message) && e.message.startsWith('t: '));
    });
  }

  it('lets URLs, kernel arguments and package names through', () => {
    const v = { u: 'http://198.18.0.1:8080/ks/node-1.cfg?token=Ab_9-x&z=1', k: 'inst.text console=ttyS0,115200', p: ['@core', '-firewalld', 'kernel-*'] };
    assert.equal(render('{{u}} {{k}}', v, 'ipxe'), `${v.u} ${v.k}`);
    assert.equal(render('{{p|lines}}', v, 'kickstart'), '@core\n-firewalld\nkernel-*');
  });

  it('lists the variables a template uses', () => {
    assert.deepEqual(templateVariables('{{b}} {{ a|lines }} {{b}}'), ['a', 'b']);
  });
});
