// The top bar's help-desk search box: Enter opens the results page
// (pages/search.js) for what was typed.
import { h } from './dom.js';

/** searchBox builds the box; navigate moves to an in-app path. */
export function searchBox(navigate) {
  const input = h('input', { type: 'search', id: 'topbar-search', name: 'q', maxlength: '200', autocomplete: 'off',
    placeholder: 'Client, contact, phone, MAC…', 'aria-label': 'Help-desk search: clients, contacts and devices' });
  const form = h('form', { class: 'topsearch', role: 'search' }, input);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
  });
  return form;
}
