/**
 * Per struct of a message: its interface, `default<Struct>()`, `read<Struct>()` and
 * `write<Struct>()` (tagged-field sections in flexible versions; fields a version cannot carry
 * must hold their default unless ignorable).
 */
import { indent, rangeText, screaming } from './common.mjs';
import { cond, readExpr, writeStmt } from './field-codec.mjs';
import { defaultExpr, fieldTsType } from './field-types.mjs';

/** Renames parameters the body never mentions to `_name` (noUnusedParameters). */
function params(body, list) {
  return list
    .map(([name, type]) => (new RegExp(`(?<![.\\w"])${name}\\b(?!:)`).test(body) ? `${name}: ${type}` : `_${name}: ${type}`))
    .join(', ');
}

export function emitInterface(struct) {
  const lines = [];
  for (const f of struct.fields) {
    const notes = [`versions ${rangeText(f.versions)}`];
    if (f.nullable) notes.push(`nullable ${rangeText(f.nullable)}`);
    if (f.tagged) notes.push(`tag ${f.tag}`);
    if (f.ignorable) notes.push('ignorable');
    const about = f.about.replace(/\*\//g, '* /').trim();
    lines.push(`  /** ${about}${about.endsWith('.') || about === '' ? '' : '.'} (${notes.join(', ')}) */`);
    lines.push(`  ${f.prop}: ${fieldTsType(f)};`);
  }
  if (lines.length === 0) return `// eslint-disable-next-line @typescript-eslint/no-empty-object-type\nexport interface ${struct.tsName} {}\n`;
  return `export interface ${struct.tsName} {\n${lines.join('\n')}\n}\n`;
}

export function emitDefault(struct) {
  const body = struct.fields.map((f) => `    ${f.prop}: ${defaultExpr(f)},`).join('\n');
  return `export function default${struct.tsName}(): ${struct.tsName} {\n  return {${body ? `\n${body}\n  ` : ''}};\n}\n`;
}

export function emitRead(struct, model) {
  const name = struct.tsName;
  const lines = [];
  const flexibleCond = model.flexible ? cond(model.flexible, model.valid) : 'false';
  if (flexibleCond !== 'false') lines.push(`const flexible = ${flexibleCond};`);
  const props = [];
  for (const f of struct.fields) {
    const present = cond(f.versions, model.valid);
    if (f.tagged || present === 'false') props.push(`${f.prop}: ${defaultExpr(f)},`);
    else if (present === 'true') props.push(`${f.prop}: ${readExpr(f, model, `${name}.${f.prop}`)},`);
    else props.push(`${f.prop}: ${present} ? ${readExpr(f, model, `${name}.${f.prop}`)} : ${defaultExpr(f)},`);
  }
  lines.push(`const out: ${struct.tsName} = {${props.length ? `\n${indent(props.join('\n'), 2)}\n` : ''}};`);
  const tagged = struct.fields.filter((f) => f.tagged).sort((a, b) => a.tag - b.tag);
  if (flexibleCond !== 'false') {
    if (tagged.length === 0) {
      lines.push(`if (flexible) kr.skipTaggedFields(r, ${JSON.stringify(name)});`);
    } else {
      const cases = tagged.map((f) => {
        const what = `${name}.${f.prop}`;
        return [
          `case ${f.tag}:`,
          `  if (${cond(f.tagged, model.valid)}) {`,
          `    const end = r.pushLimit(size, ${JSON.stringify(what)});`,
          `    out.${f.prop} = ${readExpr(f, model, what)};`,
          `    kr.endTaggedField(r, end, ${JSON.stringify(what)});`,
          `  } else {`,
          `    r.skip(size, ${JSON.stringify(what)});`,
          `  }`,
          `  break;`,
        ].join('\n');
      });
      lines.push(
        [
          'if (flexible) {',
          '  const count = r.readUnsignedVarInt();',
          '  for (let i = 0; i < count; i++) {',
          '    const tag = r.readUnsignedVarInt();',
          '    const size = r.readUnsignedVarInt();',
          '    switch (tag) {',
          indent(cases.join('\n'), 6),
          '      default:',
          `        r.skip(size, ${JSON.stringify(`${name} unknown tagged field`)});`,
          '    }',
          '  }',
          '}',
        ].join('\n'),
      );
    }
  }
  lines.push('return out;');
  const body = lines.join('\n');
  return `export function read${struct.tsName}(${params(body, [['r', 'ByteReader'], ['version', 'number']])}): ${struct.tsName} {\n${indent(body, 2)}\n}\n`;
}

/**
 * The default to compare a value against: for a struct, a module-level instance built once (the
 * write path must not allocate a default struct per field it checks).
 */
function compareDefault(f, model) {
  const expr = defaultExpr(f);
  if (f.type.kind !== 'struct' || expr === 'null') return expr;
  const name = `DEFAULT_${screaming(f.type.struct.tsName)}`;
  model.sharedDefaults.set(name, `const ${name}: ${f.type.struct.tsName} = ${expr};`);
  return name;
}

function absentCheck(f, model, what, guard = null) {
  if (f.ignorable) return null;
  return `if (${guard ? `!(${guard}) && ` : ''}!kw.isDefaultValue(v.${f.prop}, ${compareDefault(f, model)})) throw kw.unsupportedField(${JSON.stringify(what)}, version);`;
}

export function emitWrite(struct, model) {
  const name = struct.tsName;
  const lines = [];
  const flexibleCond = model.flexible ? cond(model.flexible, model.valid) : 'false';
  if (flexibleCond !== 'false') lines.push(`const flexible = ${flexibleCond};`);
  for (const f of struct.fields) {
    const what = `${name}.${f.prop}`;
    const present = cond(f.versions, model.valid);
    if (f.tagged) {
      if (present !== 'true') {
        const check = absentCheck(f, model, what, present === 'false' ? null : present);
        if (check) lines.push(check);
      }
      continue;
    }
    if (present === 'true') {
      lines.push(writeStmt(f, model, what));
    } else if (present === 'false') {
      const check = absentCheck(f, model, what);
      if (check) lines.push(check);
    } else {
      const check = absentCheck(f, model, what);
      lines.push(`if (${present}) {\n  ${writeStmt(f, model, what)}\n}${check ? ` else ${check}` : ''}`);
    }
  }
  const tagged = struct.fields.filter((f) => f.tagged).sort((a, b) => a.tag - b.tag);
  if (flexibleCond !== 'false') {
    if (tagged.length === 0) {
      lines.push('if (flexible) w.writeUnsignedVarInt(0);');
    } else {
      const test = (f) => {
        const c = cond(f.tagged, model.valid);
        const d = `!kw.isDefaultValue(v.${f.prop}, ${compareDefault(f, model)})`;
        return c === 'true' ? d : `${c} && ${d}`;
      };
      const out = ['if (flexible) {'];
      const flag = (f) => `has${f.prop[0].toUpperCase()}${f.prop.slice(1)}`;
      for (const f of tagged) out.push(`  const ${flag(f)} = ${test(f)};`);
      out.push(`  w.writeUnsignedVarInt(${tagged.map((f) => `(${flag(f)} ? 1 : 0)`).join(' + ')});`);
      for (const f of tagged) {
        out.push(`  if (${flag(f)}) {`);
        out.push(`    w.writeUnsignedVarInt(${f.tag});`);
        out.push('    const start = w.length;');
        out.push(`    ${writeStmt(f, model, `${name}.${f.prop}`)}`);
        out.push('    w.prefixWithLength(start);');
        out.push('  }');
      }
      out.push('}');
      lines.push(out.join('\n'));
    }
  }
  const body = lines.join('\n');
  return `export function write${struct.tsName}(${params(body, [
    ['w', 'ByteWriter'],
    ['v', struct.tsName],
    ['version', 'number'],
  ])}): void {\n${indent(body, 2)}\n}\n`;
}
