// The confirmation every DPO action passes through: what will happen, the reason (when the
// action records one), and an explicit Confirm. Resolves to the reason, or null when cancelled.
import { reasonOk } from './dom.js';

export function confirmAction({ title, text, needsReason = true }) {
  const dialog = document.getElementById('confirm');
  const form = document.getElementById('confirm-form');
  const reason = document.getElementById('confirm-reason');
  const error = document.getElementById('confirm-error');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-reason-row').hidden = !needsReason;
  reason.value = '';
  error.textContent = '';
  return new Promise((resolve) => {
    const done = (value) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      dialog.close();
      resolve(value);
    };
    const onSubmit = (ev) => {
      ev.preventDefault();
      if (needsReason && !reasonOk(reason.value)) {
        error.textContent = 'State a reason of at least 5 characters.';
        reason.focus();
        return;
      }
      done(needsReason ? reason.value.trim() : '');
    };
    const onCancel = (ev) => {
      ev.preventDefault();
      done(null);
    };
    const cancel = document.getElementById('confirm-cancel');
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    (needsReason ? reason : document.getElementById('confirm-ok')).focus();
  });
}
