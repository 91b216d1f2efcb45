// The admin's inline tables (an order's attempts, its execution table) are wider than a phone, and wider
// than a laptop for the attempts: each scrolls inside its own group (console.css). A keyboard user must be
// able to reach and scroll it, and a screen reader to name it (axe: scrollable-region-focusable).
document.querySelectorAll(".inline-group").forEach((group) => {
  const heading = group.querySelector("h2");
  group.tabIndex = 0;
  group.setAttribute("role", "region");
  if (heading) {
    heading.id = heading.id || `${group.id}-title`;
    group.setAttribute("aria-labelledby", heading.id);
  }
});
