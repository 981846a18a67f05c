/**
 * docs/architecture.md's state-machine and ladder diagrams are generated from the machine and the
 * rung table: regenerate them here and fail when the committed page differs, so they cannot drift.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readArchitectureDoc, regenerate, REFRESH_COMMAND } from '../../../scripts/diagrams/architecture-doc.js';
import { guardText, machineEdges, stateDiagram } from '../../../scripts/diagrams/state-machine.js';
import { ladderDiagram } from '../../../scripts/diagrams/ladder.js';
import { RUNG_TABLE } from '../../../src/core/rungs.js';
import { and, not } from 'xstate';

describe('architecture diagrams', () => {
  it('docs/architecture.md matches the machine definition and the rung table', () => {
    const doc = readArchitectureDoc();
    const fresh = regenerate(doc);
    if (fresh !== doc) {
      const a = doc.split('\n');
      const b = fresh.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      assert.fail(
        `docs/architecture.md is out of date with src/core (first difference at line ${line + 1}):\n` +
          `  committed: ${a[line] ?? '(end of file)'}\n  generated: ${b[line] ?? '(end of file)'}\n` +
          `Refresh it with: ${REFRESH_COMMAND}`,
      );
    }
  });

  it('the diagram has every state and every event of the machine', () => {
    const { edges } = machineEdges();
    const diagram = stateDiagram();
    for (const state of ['healthy', 'suspect', 'failed', 'recovering_acting', 'recovering_verifying', 'holding', 'blocked', 'awaitingOperator', 'quarantined', 'maintenance']) {
      assert.match(diagram, new RegExp(`\\b${state}\\b`), state);
    }
    for (const event of new Set(edges.filter((e) => e.to !== null).map((e) => e.event))) assert.ok(diagram.includes(` : ${event} [`), event);
    assert.ok(edges.length > 50, `only ${edges.length} transitions read`);
  });

  it('the ladder diagram marks every destructive rung in words, not only in colour', () => {
    const diagram = ladderDiagram();
    for (const r of RUNG_TABLE) {
      if (!diagram.includes(`${r.number} ${r.name}`)) continue;
      assert.equal(diagram.includes(`"${r.number} ${r.name}<br/>destructive"`), r.destructive, r.name);
    }
  });

  it('guards are written out, combinators included', () => {
    assert.equal(guardText('probeBad'), 'probeBad');
    assert.equal(guardText(and(['movingLeftovers', not('actionOk')])), 'movingLeftovers and not actionOk');
    assert.equal(guardText(undefined), null);
  });

  it('a page without the markers of a section is an error naming it', () => {
    assert.throws(() => regenerate('# no markers\n'), /markers of section "state-machine" are missing/);
  });
});
