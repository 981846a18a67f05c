#!ipxe
# 3RC: {{hostname}} ({{mac}}) is installed, netboot is off: boot the local disk.
echo 3RC: netboot disabled for {{hostname}}, booting from local disk
iseq ${platform} efi && goto efi ||
sanboot --no-describe --drive 0x80 || goto efi
:efi
# UEFI (or no BIOS disk): hand back to the firmware, which tries the next boot entry.
exit
