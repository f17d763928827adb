# Steward agent installer for Windows, made by the Steward server for one
# enrollment token. Run it from an elevated PowerShell.
#
# Nothing downloaded is trusted until checked: every connection to the
# server must present a certificate chain holding the CA whose SHA-256
# fingerprint is pinned below, and the agent binary must have the SHA-256
# pinned below (the server's published checksum must agree too). The agent
# then enrolls over TLS pinned to the same fingerprint, copies itself to
# Program Files and registers its service.
#
# STEWARD_INSTALL_ROOT=DIR stages the install under DIR: no elevation
# needed, and the service registration is recorded instead of made.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$Server = {{psq .ServerURL}}
$Token = {{psq .Token}}
$Fingerprint = {{psq .CAFingerprint}}
$ReleaseKey = {{psq .ReleaseKey}}
# The SHA-256 of each agent build the server had when it made this script.
$Sums = @{
{{- range .Windows}}
	{{psq .Arch}} = {{psq .Sum}}
{{- end}}
}

function Fail([string]$Message) {
	[Console]::Error.WriteLine("steward-install: $Message")
	exit 1
}
function Say([string]$Message) { [Console]::Error.WriteLine("steward-install: $Message") }

if (-not $env:STEWARD_INSTALL_ROOT) {
	$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
	if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
		Fail 'run this from an elevated (Administrator) PowerShell'
	}
}

# The processor, not this process: an emulated x64 PowerShell on ARM64
# still wants the arm64 agent.
$arch = $null
try {
	switch ((Get-CimInstance -ClassName Win32_Processor | Select-Object -First 1).Architecture) {
		9 { $arch = 'amd64' }
		12 { $arch = 'arm64' }
	}
} catch { }
if (-not $arch) {
	$pa = $env:PROCESSOR_ARCHITEW6432
	if (-not $pa) { $pa = $env:PROCESSOR_ARCHITECTURE }
	switch ($pa) {
		'AMD64' { $arch = 'amd64' }
		'ARM64' { $arch = 'arm64' }
	}
}
if (-not $arch) { Fail 'unsupported processor' }
$want = $Sums[$arch]
if (-not $want) { Fail "the server has no agent build for windows/$arch" }

[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

# The pin: the chain Windows built for the server must hold the pinned CA
# (so the server certificate is signed under it) and have no fault other
# than that CA not being in the Windows store. Host names are not checked:
# the pin already names the one CA that may sign for the server.
$pinned = $Fingerprint
$validate = {
	param($sender, $certificate, $chain, $errors)
	if ($null -eq $chain) { return $false }
	$tolerated = @('NoError', 'UntrustedRoot', 'RevocationStatusUnknown', 'OfflineRevocation')
	foreach ($s in $chain.ChainStatus) {
		if ($tolerated -notcontains [string]$s.Status) { return $false }
	}
	$sha = [Security.Cryptography.SHA256]::Create()
	foreach ($element in $chain.ChainElements) {
		$hex = -join ($sha.ComputeHash($element.Certificate.RawData) | ForEach-Object { $_.ToString('x2') })
		if ($hex -eq $pinned) { return $true }
	}
	return $false
}.GetNewClosure()

# Get-Pinned downloads over a fresh connection checked by $validate: its
# own connection group, so no pooled connection made without the pin is
# reused.
function Get-Pinned([string]$Url, [string]$OutFile) {
	$request = [Net.HttpWebRequest]::Create($Url)
	$request.ServerCertificateValidationCallback = $validate
	$request.ConnectionGroupName = [guid]::NewGuid().ToString()
	$request.KeepAlive = $false
	$request.AllowAutoRedirect = $false
	$request.Timeout = 900000
	try {
		$response = $request.GetResponse()
	} catch {
		Fail "cannot fetch $Url with the CA pinned to $($pinned): $($_.Exception.Message) (wrong server, or the connection is intercepted)"
	}
	try {
		$in = $response.GetResponseStream()
		$out = [IO.File]::Create($OutFile)
		try { $in.CopyTo($out) } finally { $out.Dispose(); $in.Dispose() }
	} finally {
		$response.Dispose()
	}
}

$tmp = Join-Path ([IO.Path]::GetTempPath()) ('steward-' + [guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
	Say "downloading the agent for windows/$arch from $Server"
	Get-Pinned "$Server/agent/download/windows/$arch.sha256" (Join-Path $tmp 'agent.sha256')
	$published = (Get-Content -Raw (Join-Path $tmp 'agent.sha256')).Trim()
	if ($published -ne $want) {
		Fail "the server publishes SHA-256 $published for this agent, but this script pins $($want): the agent changed since this script was made; get a new install command"
	}
	$exe = Join-Path $tmp 'steward-agent.exe'
	Get-Pinned "$Server/agent/download/windows/$arch" $exe
	$got = (Get-FileHash -Algorithm SHA256 $exe).Hash.ToLowerInvariant()
	if ($got -ne $want) { Fail "the downloaded agent has SHA-256 $got, not the pinned $($want): refusing to run it" }

	$arguments = @('install', '--server', $Server, '--token', $Token, '--ca-fingerprint', $Fingerprint)
	if ($ReleaseKey) { $arguments += @('--release-key', $ReleaseKey) }
	& $exe @arguments
	if ($LASTEXITCODE -ne 0) { Fail 'the agent could not install itself (see above)' }
	Say 'done'
} finally {
	Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $tmp
}
