// Harbor Lights Bakery: small progressive enhancements.
document.addEventListener("DOMContentLoaded", () => {
  const here = location.pathname;
  for (const link of document.querySelectorAll("nav a")) {
    if (here.startsWith(link.getAttribute("href").replace(/index\.html$/, ""))) {
      link.setAttribute("aria-current", "page");
    }
  }
});
