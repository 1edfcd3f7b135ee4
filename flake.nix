{
  description = "Petrel: a Nomad-native CI dispatcher";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: {
        default = pkgs.buildNpmPackage {
          pname = "petrel";
          version = (builtins.fromJSON (builtins.readFile ./package.json)).version;
          src = ./.;
          nodejs = pkgs.nodejs_20;
          # Each dependency is fetched by the address and hash package-lock.json
          # records for it (.npmrc keeps the addresses in), so there is no hash
          # of all of them to keep in step with the lockfile.
          npmDeps = pkgs.importNpmLock { npmRoot = ./.; };
          npmConfigHook = pkgs.importNpmLock.npmConfigHook;
          npmBuildScript = "build";
          meta = {
            description = "Nomad-native CI dispatcher";
            mainProgram = "petrel";
          };
        };
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [ pkgs.nodejs_20 pkgs.nomad pkgs.consul pkgs.gitea pkgs.nix pkgs.git pkgs.openssl pkgs.go ];
        };
      });
    };
}
