// A tiny client-side search over /data/search-index.json.
window.bakerySearch = async (input) => {
  const index = await (await fetch("/data/search-index.json")).json();
  input.addEventListener("input", () => {
    const q = input.value.trim().toLowerCase();
    const hits = index.pages.filter((p) => p.title.toLowerCase().includes(q));
    input.dispatchEvent(new CustomEvent("results", { detail: hits }));
  });
};
