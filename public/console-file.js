// Progressive enhancement for the admin console: a chosen metadata file is read into the textarea named by the
// input's data-fill attribute (without script, paste the file's content there instead).
for (const input of document.querySelectorAll('input[type=file][data-fill]')) {
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    const target = document.getElementById(input.dataset.fill);
    if (file && target && file.size <= 1024 * 1024) target.value = await file.text();
  });
}
