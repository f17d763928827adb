# Steward agent installer for Windows, made by the Steward server for one
# enrollment token. Run it from an elevated PowerShell.
#
# Nothing downloaded is trusted until checked: every connection to the
# server must match the pin below (ca: a certificate for this server's host
# name under the CA with that SHA-256; spki: the server's own key, checked
# here as the server certificate it had when this script was made), and
# the agent binary must have the SHA-256 pinned below (the server's
# published checksum must agree too). The agent then enrolls over TLS
# pinned the same way, copies itself to Program Files and registers its
# service.
#
# STEWARD_INSTALL_ROOT=DIR stages the install under DIR: no elevation
# needed, and the service registration is recorded instead of made.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$Server = {{psq .ServerURL}}
$Token = {{psq .Token}}
$Pins = {{psq .Pin}}
$PinKind = {{psq .PinKind}}
$Pin = {{psq .PinHex}}
$ServerCert = {{psq .ServerCertSHA256}}
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

# The pin. ca: the chain Windows built for the server must hold the pinned
# CA (so the server certificate is signed under it), name this server's
# host, and have no fault other than that CA not being in the Windows
# store. spki: Windows PowerShell cannot hash a public key, so the
# server's certificate itself is pinned, as it was when this script was
# made (the agent then pins the key).
$pinned, $pinKind, $serverCert = $Pin, $PinKind, $ServerCert
$validate = {
	param($sender, $certificate, $chain, $errors)
	$sha = [Security.Cryptography.SHA256]::Create()
	if ($pinKind -eq 'spki') {
		$hex = -join ($sha.ComputeHash($certificate.GetRawCertData()) | ForEach-Object { $_.ToString('x2') })
		return ($hex -eq $serverCert)
	}
	if ($null -eq $chain) { return $false }
	if (($errors -band [Net.Security.SslPolicyErrors]::RemoteCertificateNameMismatch) -ne 0) { return $false }
	$tolerated = @('NoError', 'UntrustedRoot', 'RevocationStatusUnknown', 'OfflineRevocation')
	foreach ($s in $chain.ChainStatus) {
		if ($tolerated -notcontains [string]$s.Status) { return $false }
	}
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
		Fail "cannot fetch $Url with the server pinned to $($pinKind):$($pinned): $($_.Exception.Message) (wrong server, or the connection is intercepted)"
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

	$arguments = @('install', '--server', $Server, '--token', $Token, '--pin', $Pins)
	if ($ReleaseKey) { $arguments += @('--release-key', $ReleaseKey) }
	& $exe @arguments
	if ($LASTEXITCODE -ne 0) { Fail 'the agent could not install itself (see above)' }
	Say 'done'
} finally {
	Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $tmp
}
