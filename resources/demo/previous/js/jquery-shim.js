// Kept for the old order form; no longer needed.
window.$ = (s) => document.querySelector(s);
