package ReadmeFromPod;
# README is generated from the module's POD: `make readme` writes it and
# xt/readme.t fails when the two differ.
use strict;
use warnings;
use Pod::Text ();

# README: NAME's line as the title, INSTALLATION's text (the two commands
# first), then these sections with their headings.
our @SECTIONS = ('SYNOPSIS', 'DESCRIPTION', 'PERFORMANCE', 'COMPATIBILITY', 'SEE ALSO', 'LICENSE');

sub sections_of {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!\n";
    my $pod = do { local $/; <$fh> };
    my %sec;
    while ($pod =~ /^=head1 ([^\n]+)\n(.*?)(?=^=head1 |^=cut|\z)/msg) {
        $sec{$1} = $2;
    }
    return \%sec;
}

sub readme_text {
    my ($file) = @_;
    $file //= 'lib/Sys/FreezeThaw.pm';
    my $sec = sections_of($file);
    for my $name ('NAME', 'INSTALLATION') {
        die "$file has no =head1 $name\n" unless defined $sec->{$name};
    }
    (my $title = $sec->{NAME}) =~ s/\A\s+|\s+\z//g;
    my $pod = "=pod\n\n$sec->{INSTALLATION}";
    for my $name (@SECTIONS) {
        die "$file has no =head1 $name\n" unless defined $sec->{$name};
        $pod .= "=head1 $name\n$sec->{$name}";
    }
    $pod .= "=cut\n";
    my $out = '';
    my $parser = Pod::Text->new(indent => 0, width => 76, sentence => 0);
    $parser->output_string(\$out);
    $parser->parse_string_document($pod);
    return "$title\n\n$out\n(This file is generated from the POD of lib/Sys/FreezeThaw.pm by `make readme`.)\n";
}

sub write_readme {
    open my $fh, '>', 'README' or die "README: $!\n";
    print $fh readme_text();
    close $fh or die "README: $!\n";
}

1;
