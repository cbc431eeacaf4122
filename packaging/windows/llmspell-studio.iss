; Inno Setup script: wraps the PyInstaller bundle dist\llmspell-studio\ into a per-user or per-machine installer.
;   iscc /DAppVersion=0.1.0 packaging\windows\llmspell-studio.iss      (from the project root)
; Output: dist\llmspell-studio-<version>-windows-x64-setup.exe. See packaging/README.md.
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define Bundle "..\..\dist\llmspell-studio"

[Setup]
AppId={{6D1B3F0E-6C55-4E5A-9C1F-0B7A2E9D4C11}
AppName=LLMSpell Studio
AppVersion={#AppVersion}
AppPublisher=LLMSpell Studio developers
DefaultDirName={autopf}\LLMSpell Studio
DefaultGroupName=LLMSpell Studio
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=llmspell-studio-{#AppVersion}-windows-x64-setup
SetupIconFile=..\icons\llmspell-studio.ico
UninstallDisplayIcon={app}\llmspell-studio.exe
Compression=lzma2/max
SolidCompression=yes
ChangesEnvironment=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; Flags: unchecked
Name: "addtopath"; Description: "Add the llmspell command to PATH"; Flags: unchecked
Name: "assoc"; Description: "Open .lua, .js and .tengo spells with LLMSpell Studio"; Flags: unchecked

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\LLMSpell Studio"; Filename: "{app}\llmspell-studio.exe"
Name: "{autodesktop}\LLMSpell Studio"; Filename: "{app}\llmspell-studio.exe"; Tasks: desktopicon

[Registry]
Root: HKA; Subkey: "Software\Classes\LLMSpell.Spell"; ValueType: string; ValueData: "LLM spell"; Flags: uninsdeletekey; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\LLMSpell.Spell\shell\open\command"; ValueType: string; ValueData: """{app}\llmspell-studio.exe"" ""%1"""; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\.tengo\OpenWithProgids"; ValueType: string; ValueName: "LLMSpell.Spell"; ValueData: ""; Flags: uninsdeletevalue; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\.lua\OpenWithProgids"; ValueType: string; ValueName: "LLMSpell.Spell"; ValueData: ""; Flags: uninsdeletevalue; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\.js\OpenWithProgids"; ValueType: string; ValueName: "LLMSpell.Spell"; ValueData: ""; Flags: uninsdeletevalue; Tasks: assoc
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: not IsAdminInstallMode
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: IsAdminInstallMode

[Run]
Filename: "{app}\llmspell-studio.exe"; Description: "{cm:LaunchProgram,LLMSpell Studio}"; Flags: nowait postinstall skipifsilent
