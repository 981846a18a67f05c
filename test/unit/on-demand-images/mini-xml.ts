/**
 * A strict little XML reader for the domain-XML tests: elements, attributes, text and the five
 * predefined entities; anything else (an unescaped `<` or `&`, a mismatched tag) throws. It exists
 * so the test parses the rendered XML back instead of matching strings.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, at: number): string {
  return raw.replace(/&([a-z]+);|&/g, (m, name: string | undefined) => {
    const v = name ? ENTITIES[name] : undefined;
    if (v === undefined) throw new Error(`bad entity ${m} near offset ${at}`);
    return v;
  });
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 30))}`);
  };
  const skipSpace = (): void => {
    while (i < xml.length && /\s/.test(xml[i] ?? '')) i++;
  };
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const name = /^[A-Za-z_][\w.:-]*/.exec(xml.slice(i))?.[0] ?? fail('expected a tag name');
    i += name.length;
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      const attr = /^([A-Za-z_][\w.:-]*)=("([^"<]*)"|'([^'<]*)')/.exec(xml.slice(i)) ?? fail('expected an attribute');
      if (attr[1] === undefined) fail('expected an attribute');
      el.attrs[attr[1] as string] = decode(attr[3] ?? attr[4] ?? '', i);
      i += attr[0].length;
    }
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${name}>`);
      el.text += decode(xml.slice(i, lt), i);
      i = lt;
      if (xml.startsWith(`</${name}>`, i)) {
        i += name.length + 3;
        el.text = el.text.trim();
        return el;
      }
      if (xml.startsWith('</', i)) fail(`mismatched close tag inside <${name}>`);
      el.children.push(element());
    }
  };
  skipSpace();
  const root = element();
  skipSpace();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

/** Children by path of names, e.g. find(root, 'devices', 'disk'). */
export function findAll(el: XmlElement, ...path: string[]): XmlElement[] {
  let level = [el];
  for (const name of path) level = level.flatMap((e) => e.children.filter((c) => c.name === name));
  return level;
}
