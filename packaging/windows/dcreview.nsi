; dcreview per-user installer (no administrator rights). Built by packaging/build_windows.ps1
; on a Windows runner from the PyInstaller folder; not buildable on the Linux CI machine.
;   Silent install:    dcreview-<version>-windows-<variant>-setup.exe /S
;   Silent uninstall:  "%LOCALAPPDATA%\Programs\dcreview\<version>\uninstall.exe" /S
; Each version installs into its own folder, so a reader study can pin one version.
Unicode true
RequestExecutionLevel user
!ifndef VERSION
  !error "pass /DVERSION=x.y.z"
!endif
!ifndef VARIANT
  !define VARIANT cpu
!endif
!ifndef BUNDLE
  !error "pass /DBUNDLE=path\to\dist\dcreview"
!endif
!ifndef OUTDIR
  !define OUTDIR "."
!endif
Name "dcreview ${VERSION}"
OutFile "${OUTDIR}\dcreview-${VERSION}-windows-${VARIANT}-setup.exe"
InstallDir "$LOCALAPPDATA\Programs\dcreview\${VERSION}"
SetCompressor /SOLID lzma

Section "dcreview"
  SetOutPath "$INSTDIR"
  File /r "${BUNDLE}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateDirectory "$SMPROGRAMS\dcreview"
  CreateShortCut "$SMPROGRAMS\dcreview\dcreview ${VERSION}.lnk" "$INSTDIR\dcreview.exe"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\dcreview-${VERSION}" \
    "DisplayName" "dcreview ${VERSION} (${VARIANT})"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\dcreview-${VERSION}" \
    "UninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\dcreview-${VERSION}" \
    "DisplayVersion" "${VERSION}"
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\dcreview\dcreview ${VERSION}.lnk"
  RMDir "$SMPROGRAMS\dcreview"
  DeleteRegKey HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\dcreview-${VERSION}"
  RMDir /r "$INSTDIR"
SectionEnd
