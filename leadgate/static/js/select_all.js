// "Select all on this page": a checkbox with data-select-all="NAME" ticks every
// checkbox named NAME on the page; data-count="ID" names the element that says
// how many are ticked (its data-none text when none).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-select-all]").forEach((all) => {
    const boxes = () => [...document.querySelectorAll(`input[type="checkbox"][name="${all.dataset.selectAll}"]`)];
    const count = all.dataset.count ? document.getElementById(all.dataset.count) : null;
    const none = count ? count.textContent : "";
    const show = () => {
      const chosen = boxes().filter((box) => box.checked).length;
      if (count) count.textContent = chosen ? `${chosen} selected:` : none;
      all.checked = chosen > 0 && chosen === boxes().length;
      all.indeterminate = chosen > 0 && chosen < boxes().length;
    };
    all.addEventListener("change", () => { boxes().forEach((box) => { box.checked = all.checked; }); show(); });
    boxes().forEach((box) => box.addEventListener("change", show));
    show();
  });
});
