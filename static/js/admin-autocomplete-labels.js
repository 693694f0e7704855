"use strict";
// Django admin's autocomplete widget is select2, which hides the <select> and names its own box only by the
// chosen value ("aria-labelledby" the rendered text): an empty one has no accessible name at all, and a full one
// is announced as its value without saying which field it is. Point select2's box, its text and its search
// field at the field's <label> (or, in a tabular inline, at the aria-label the formset gave the <select>).
{
    function nameOf(select) {
        const label = select.id && document.querySelector(`label[for="${select.id}"]`);
        if (label) {
            label.id ||= `${select.id}-label`;
            return label.id;
        }
        const text = select.getAttribute("aria-label");
        if (!text) {
            return null;
        }
        const id = `${select.id}-name`;
        if (!document.getElementById(id)) {
            const span = document.createElement("span");
            span.id = id;
            span.hidden = true;
            span.textContent = text;
            select.parentElement.append(span);
        }
        return id;
    }

    function label(select) {
        const container = select.nextElementSibling;
        const name = container && container.classList.contains("select2") && nameOf(select);
        if (!name) {
            return;
        }
        const box = container.querySelector(".select2-selection");
        const rendered = container.querySelector(".select2-selection__rendered[id]");
        if (box && rendered) {
            box.setAttribute("aria-labelledby", `${name} ${rendered.id}`);
            rendered.setAttribute("aria-labelledby", name);
        } else if (box) {
            box.setAttribute("aria-labelledby", name);
        }
        container.querySelectorAll(".select2-search__field").forEach((field) => field.setAttribute("aria-labelledby", name));
        select.dataset.select2Labelled = name;
    }

    function labelAll() {
        document.querySelectorAll("select.admin-autocomplete").forEach(label);
    }

    // Whenever select2 starts (on jQuery's ready, on each formset:added) it inserts its box after the <select>.
    new MutationObserver(labelAll).observe(document.documentElement, {childList: true, subtree: true});
    // The dropdown's own search field is made each time it opens, outside the widget.
    document.addEventListener("DOMContentLoaded", () => {
        if (window.django && window.django.jQuery) {
            window.django.jQuery(document).on("select2:open", (event) => {
                const name = event.target.dataset.select2Labelled;
                document.querySelectorAll(".select2-container--open .select2-search__field").forEach((field) => {
                    if (name) field.setAttribute("aria-labelledby", name);
                });
            });
        }
    });
}
