/* global document */
// Operator actions, each behind a confirmation dialog, through the same API routes as the CLI.
// The server checks the role on every call (403 for a viewer); the page only mirrors it.
import { api } from './api.js';
import { h } from './dom.js';

const OPERATOR_ROLES = new Set(['operator', 'admin']);
export const canAct = (role) => OPERATOR_ROLES.has(role);

let onChange = () => undefined;
let announce = () => undefined;
/** main.js wires these: refetch after an action, and say what happened in the live region. */
export function wireActions(opts) {
  onChange = opts.onChange;
  announce = opts.announce;
}

const enc = encodeURIComponent;

/** Opens the confirmation dialog; `run` is called only on Confirm, and its error is shown there. */
export function confirmAction({ title, text, extra = null, confirmLabel, run }) {
  const dialog = document.getElementById('confirm');
  const ok = document.getElementById('confirm-ok');
  const cancel = document.getElementById('confirm-cancel');
  const error = document.getElementById('confirm-error');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-extra').replaceChildren(...(extra ? [extra] : []));
  error.textContent = '';
  ok.textContent = confirmLabel;
  ok.disabled = false;
  const close = () => {
    ok.onclick = null;
    cancel.onclick = null;
    dialog.close();
  };
  cancel.onclick = close;
  ok.onclick = async () => {
    ok.disabled = true;
    try {
      const message = await run();
      close();
      announce(message);
      onChange();
    } catch (e) {
      error.textContent = `${e.code ? `${e.code}: ` : ''}${e.message}`;
      ok.disabled = false;
    }
  };
  dialog.showModal();
  cancel.focus();
}

function button(label, opts, role) {
  const allowed = canAct(role);
  return h('button', {
    type: 'button',
    class: opts.danger ? 'danger' : null,
    disabled: !allowed,
    title: allowed ? opts.hint : `needs an operator token (this one is ${role})`,
    'data-action': opts.action,
    onclick: allowed ? () => confirmAction(opts.confirm()) : null,
  }, label);
}

function rungPicker(target, rungs) {
  const select = h('select', { id: 'rung-select', 'aria-label': 'Rung to run' },
    rungs.filter((r) => r.kinds.includes(target.kind)).map((r) =>
      h('option', { value: String(r.number) }, `${r.number} ${r.name}${r.destructive ? ' (destructive)' : ''}: ${r.summary}`)));
  return select;
}

/** The buttons of one target row; disabled (with the reason) for a viewer. */
export function targetActions(target, snapshot) {
  const role = snapshot.principal.role;
  const id = target.targetId;
  const buttons = [];
  if (target.phase === 'maintenance') {
    buttons.push(button('Maintenance off', {
      action: 'maintenance-off', hint: 'back to automatic recovery',
      confirm: () => ({
        title: `Take ${id} out of maintenance?`,
        text: 'The controller will act on it again when its probes fail.',
        confirmLabel: 'Maintenance off',
        run: async () => (await api(`/targets/${enc(id)}/maintenance`, { method: 'POST', body: { on: false } }), `${id}: maintenance off`),
      }),
    }, role));
  } else {
    buttons.push(button('Maintenance on', {
      action: 'maintenance-on', hint: 'probed, no automatic action; closes its open incident',
      confirm: () => ({
        title: `Put ${id} in maintenance?`,
        text: 'It stays probed but the controller takes no automatic action on it, and its open incident is closed.',
        confirmLabel: 'Maintenance on',
        run: async () => (await api(`/targets/${enc(id)}/maintenance`, { method: 'POST', body: { on: true } }), `${id}: maintenance on`),
      }),
    }, role));
  }
  if (target.phase === 'quarantined' || target.phase === 'awaiting-operator') {
    buttons.push(button('Release', {
      action: 'release', hint: 'take it back from quarantine or a person',
      confirm: () => ({
        title: `Release ${id}?`,
        text: 'It goes back to probing from healthy; a new failure opens a new incident.',
        confirmLabel: 'Release',
        run: async () => (await api(`/targets/${enc(id)}/release`, { method: 'POST' }), `${id}: released`),
      }),
    }, role));
  }
  if (target.kind === 'host' && target.phase !== 'healthy' && target.phase !== 'maintenance') {
    buttons.push(button('Confirm off', {
      action: 'confirm-off', danger: true, hint: 'you checked it is powered off: its VMs may start elsewhere',
      confirm: () => ({
        title: `Confirm that ${target.name} is powered off?`,
        text: `Only if you have checked it yourself (at the rack or its PDU). Its VMs will be started on other hosts: if ${target.name} still runs them, they run twice.`,
        confirmLabel: `${target.name} is off`,
        run: async () => (await api(`/hosts/${enc(target.name)}/confirm-off`, { method: 'POST' }), `${target.name}: confirmed off`),
      }),
    }, role));
  }
  buttons.push(button('Run rung…', {
    action: 'rung', hint: 'run one rung of the ladder now',
    confirm: () => {
      const picker = rungPicker(target, snapshot.rungs);
      return {
        title: `Run a rung on ${id} now?`,
        text: 'Opens an incident if none is open. A person is the evidence for a destructive rung; the concurrency limits still apply.',
        extra: h('label', {}, 'Rung ', picker),
        confirmLabel: 'Run it',
        run: async () => {
          const rung = Number(picker.value);
          await api(`/targets/${enc(id)}/rung`, { method: 'POST', body: { rung } });
          return `${id}: rung ${rung} requested`;
        },
      };
    },
  }, role));
  return h('div', { class: 'actions', role: 'group', 'aria-label': `Actions on ${id}` }, buttons);
}
