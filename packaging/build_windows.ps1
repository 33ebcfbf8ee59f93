# Build the Windows installer on a Windows runner (needs Python 3.11 and NSIS's makensis).
#   powershell -File packaging\build_windows.ps1 -Variant cpu|cuda|directml
# Not runnable on the Linux development machines; CI runs it (.github/workflows/installers.yml).
param([string]$Variant = "cpu", [string]$Out = "dist")
$ErrorActionPreference = "Stop"
$Root = Split-Path -Parent $PSScriptRoot
$env:PYTHONHASHSEED = "0"
if (-not $env:SOURCE_DATE_EPOCH) { $env:SOURCE_DATE_EPOCH = (git -C $Root log -1 --format=%ct) }
$Work = Join-Path $Root "build\windows-$Variant"
python -m venv --clear "$Work\venv"
$Py = "$Work\venv\Scripts\python.exe"
& $Py -m pip install --require-hashes --no-deps -r "$Root\packaging\locks\windows-$Variant.txt"
& $Py -m pip install --require-hashes --no-deps -r "$Root\packaging\locks\build-tools-windows.txt"
& $Py -m pip install --no-deps $Root
$Version = & $Py -c "import inference; print(inference.__version__)"
& $Py -m PyInstaller --noconfirm --clean --distpath "$Work\dist" --workpath "$Work\pyi" `
    "$Root\packaging\dcreview.spec"
# The installed copy must pass its own check before anything is published.
$env:QT_QPA_PLATFORM = "offscreen"
& "$Work\dist\dcreview\dcreview.exe" --smoke-test
if ($LASTEXITCODE -ne 0) { throw "smoke test failed" }
New-Item -ItemType Directory -Force $Out | Out-Null
makensis /DVERSION=$Version /DVARIANT=$Variant /DBUNDLE="$Work\dist\dcreview" `
    /DOUTDIR="$Out" "$Root\packaging\windows\dcreview.nsi"
& $Py -m cyclonedx_py requirements "$Root\packaging\locks\windows-$Variant.txt" `
    --output-reproducible --of JSON -o "$Out\dcreview-$Version-windows-$Variant.cdx.json"
Get-ChildItem $Out -File | Where-Object Name -ne "SHA256SUMS" | ForEach-Object {
    "{0}  {1}" -f (Get-FileHash $_.FullName -Algorithm SHA256).Hash.ToLower(), $_.Name
} | Set-Content "$Out\SHA256SUMS"
